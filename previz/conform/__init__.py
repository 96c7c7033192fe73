"""Conform: the edit comes back into the shot list.

``conform(edited, scene)`` reads a timeline an editor changed (.otio, .otioz, FCP7 XML, FCPXML,
EDL, AAF, .xges, .kdenlive), matches its clips to shots, and turns trims, reorders, removals,
take swaps, markers and dissolves into edits of the scene file that touch only the lines that
change; what a shot list cannot say (speed changes, a shot used twice, a shot lengthened past
its take) and clips previz does not know are reported.
"""

from previz.conform.apply import ConformResult, conform
from previz.conform.changes import Change, ConformPlan, Unexpressed, UnknownClip

__all__ = ["Change", "ConformPlan", "ConformResult", "Unexpressed", "UnknownClip", "conform"]
