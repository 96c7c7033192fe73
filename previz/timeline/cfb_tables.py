"""The frame of a compound file written in one pass: where each region starts, the tables.

:mod:`previz.timeline.cfb` lays a tree out as large streams, the mini stream, the mini FAT,
the directory, then the FAT (and DIFAT sectors if the FAT needs more than the header's 109
entries). :class:`Plan` computes where each of these regions starts and how long it is from
their sizes; :meth:`Plan.fat` is the FAT describing them as contiguous runs, :func:`header`
the header sector and :func:`write_difat` the DIFAT sectors.
"""

from __future__ import annotations

import struct
from typing import BinaryIO, NamedTuple

SECTOR = 4096
MINI_SECTOR = 64
MINI_CUTOFF = 4096
PER_SECTOR = SECTOR // 4  # FAT entries (sector numbers) in one sector
FREESECT, ENDOFCHAIN, FATSECT, DIFSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC
MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Plan(NamedTuple):
    """Where each region of the file starts (sector numbers) and how long it is (sectors)."""

    mini_start: int
    mini_sectors: int
    minifat_start: int
    minifat_sectors: int
    dir_start: int
    dir_sectors: int
    fat_start: int
    fat_sectors: int
    difat_sectors: int

    @classmethod
    def of(cls, big_sectors: int, mini: int, entries: int) -> Plan:
        """The plan for ``big_sectors`` of large streams, ``mini`` mini sectors, ``entries``."""
        mini_sectors = -(-mini * MINI_SECTOR // SECTOR)
        minifat_sectors = -(-mini * 4 // SECTOR)
        dir_sectors = -(-entries * 128 // SECTOR)
        dir_start = big_sectors + mini_sectors + minifat_sectors
        fat_start = dir_start + dir_sectors
        fat, difat = _table_sizes(fat_start)
        return cls(big_sectors, mini_sectors, big_sectors + mini_sectors, minifat_sectors,
                   dir_start, dir_sectors, fat_start, fat, difat)  # fmt: skip

    @property
    def difat_start(self) -> int:
        """The first DIFAT sector: right after the FAT's."""
        return self.fat_start + self.fat_sectors

    def fat(self, big: list[int]) -> list[int]:
        """The FAT: one chain per large stream, then the regions, the FAT's own sectors."""
        fat: list[int] = []
        for size in big:
            fat += chain(len(fat), -(-size // SECTOR))
        fat += chain(self.mini_start, self.mini_sectors)
        fat += chain(self.minifat_start, self.minifat_sectors)
        fat += chain(self.dir_start, self.dir_sectors)
        fat += [FATSECT] * self.fat_sectors + [DIFSECT] * self.difat_sectors
        return fat + [FREESECT] * (-len(fat) % PER_SECTOR)


def _table_sizes(data_sectors: int) -> tuple[int, int]:
    """FAT and DIFAT sectors for ``data_sectors`` plus the tables' own sectors."""
    fat = difat = 0
    while True:
        needed_fat = -(-(data_sectors + fat + difat) // PER_SECTOR)
        needed_difat = max(0, -(-(needed_fat - 109) // (PER_SECTOR - 1)))
        if (needed_fat, needed_difat) == (fat, difat):
            return fat, difat
        fat, difat = needed_fat, needed_difat


def chain(start: int, count: int) -> list[int]:
    """A run of ``count`` sectors from ``start``, each pointing at the next."""
    return [*range(start + 1, start + count), ENDOFCHAIN] if count else []


def header(class_id: bytes, plan: Plan) -> bytes:
    """The file's header sector (version 4): the regions' places and the first 109 FAT sectors."""
    fat = list(range(plan.fat_start, plan.fat_start + plan.fat_sectors))
    head = [*fat[:109], *[FREESECT] * (109 - min(len(fat), 109))]
    header = MAGIC + class_id + struct.pack(
        "<HHHHH6sIIIIIIIII109I", 0x3E, 4, 0xFFFE, 12, 6, bytes(6), plan.dir_sectors, len(fat),
        plan.dir_start, 0, MINI_CUTOFF, plan.minifat_start if plan.minifat_sectors else ENDOFCHAIN,
        plan.minifat_sectors, plan.difat_start if plan.difat_sectors else ENDOFCHAIN,
        plan.difat_sectors, *head,
    )  # fmt: skip
    return header + bytes(SECTOR - len(header))


def write_difat(out: BinaryIO, plan: Plan) -> None:
    """The FAT's sector numbers past the header's 109, in chained DIFAT sectors."""
    rest = list(range(plan.fat_start + 109, plan.fat_start + plan.fat_sectors))
    for n in range(plan.difat_sectors):
        chunk = rest[n * (PER_SECTOR - 1) : (n + 1) * (PER_SECTOR - 1)]
        chunk += [FREESECT] * (PER_SECTOR - 1 - len(chunk))
        following = plan.difat_start + n + 1 if n + 1 < plan.difat_sectors else ENDOFCHAIN
        out.write(struct.pack(f"<{PER_SECTOR}I", *chunk, following))
