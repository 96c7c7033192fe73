"""A minimal valid scene, as text, for tests that break one thing in it."""

MINIMAL = """
schema_version: 1
project:
  title: Test
  fps: 24
  resolution: 320x180
characters:
  - id: ana
    name: Ana
    description: a woman with red hair
  - id: ben
    name: Ben
    description: a man with a grey beard
locations:
  - id: cafe
    description: a small cafe
scenes:
  - id: sc1
    heading: INT. CAFE - DAY
    shots:
      - id: s1
        action: Ana waits.
        cast: [ana]
        duration: 2
      - id: s2
        action: Ben arrives.
        cast: [ben]
        duration: 2
"""
