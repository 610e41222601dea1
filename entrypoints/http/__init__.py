"""The HTTP API (Litestar): ``/api/v1`` over the use cases of the composition root."""
