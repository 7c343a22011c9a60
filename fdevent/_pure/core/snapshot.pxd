from .record cimport EventRecord
