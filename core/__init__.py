"""What every app shares and no app owns: the error base, request metadata, pagination, strict
fields, batched deletes and command helpers. `core` imports no app of this project."""
