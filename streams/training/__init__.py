"""Custom Document Intelligence models: labelled examples in, a model built, measured, registered and routed.

`LabelledExample`/`ExampleSource` are where corrections meet training (`ReviewExamples` reads the stored
reviews); `build_training_set` lays a set out as the service expects it; `TrainingStorage` and
`DocumentService` upload it and build the model through the official clients; `ModelRegistry` keeps every
model with its held-back accuracy, and `ModelRoutes` is the extract stage's cached view of which vendor goes
to which model.
"""

from streams.training.examples import (
    TRAINABLE_FIELDS,
    ExampleSource,
    FieldPosition,
    JsonlExamples,
    LabelledExample,
    ReviewExamples,
    TrainingBudget,
    reviewed_example,
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
    "ReviewExamples",
    "TrainingBudget",
    "TrainingSet",
    "TrainingStorage",
    "build_training_set",
    "labels_json",
    "locate",
    "renderings",
    "reviewed_example",
    "vendor_key",
]
