"""Validation rules of the score stage: small pure functions, each returning the reason codes that failed.

Every rule module takes the extracted invoice (and the few policy values it needs) and returns `Finding`s:
a reason code and the field it is about. What a finding does to the decision lives in `catalog.py` and the
tenant policy, so a rule never decides on its own and each can be tested alone.
"""
