"""Custom Document Intelligence models: labelled examples in, a model built, measured, registered and routed.

`LabelledExample`/`ExampleSource` are where corrections meet training; `build_training_set` lays a set out as
the service expects it; `TrainingStorage` and `DocumentService` upload it and build the model through the
official clients; `ModelRegistry` keeps every model with its held-back accuracy, and `ModelRoutes` is the
extract stage's cached view of which vendor goes to which model.
"""

from streams.training.examples import (
    TRAINABLE_FIELDS,
    ExampleSource,
    FieldPosition,
    JsonlExamples,
    LabelledExample,
)
from streams.training.layout import TrainingSet, build_training_set, labels_json, locate, renderings
from streams.training.registry import CustomModel, ModelRegistry, ModelRoutes, vendor_key
from streams.training.service import DocumentService, TrainingStorage

__all__ = [
    "TRAINABLE_FIELDS",
    "CustomModel",
    "DocumentService",
    "ExampleSource",
    "FieldPosition",
    "JsonlExamples",
    "LabelledExample",
    "ModelRegistry",
    "ModelRoutes",
    "TrainingSet",
    "TrainingStorage",
    "build_training_set",
    "labels_json",
    "locate",
    "renderings",
    "vendor_key",
]
