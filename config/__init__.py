"""Configuration: process settings, topic specs and tenant policies."""
