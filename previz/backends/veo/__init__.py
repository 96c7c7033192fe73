"""Google Veo 3.1, on Vertex AI (primary) or the Gemini API: ``VeoBackend``.

- :mod:`~previz.backends.veo.backend`: the backend, its modes, credentials and capabilities.
- :mod:`~previz.backends.veo.request`: a job as a ``predictLongRunning`` body.
- :mod:`~previz.backends.veo.routes`: URLs, auth, operations and clip delivery per road.
"""

from previz.backends.veo.backend import VeoBackend

__all__ = ["VeoBackend"]
