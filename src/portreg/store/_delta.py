"""Everything that differs between two versions, in the store's terms: the raw matter of a diff.

:meth:`Store.diff` answers "which records were added, removed or edited"; a
:class:`Delta` holds enough to rebuild the newer version from the older one exactly:
both heads, every record and person whose stored row differs (content, layout or
position) with its value on each side, and, for each row whose place in the order
changed, the row that precedes it in the new version (its anchor). Only the rows
whose validity starts or ends between the two versions are read, plus, when some
row changed place, the new version's narrow list of (id, sort key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._codec import PERSON_COLUMNS, RECORD_COLUMNS, Decoder
from ._values import Delta, PersonDelta, RecordDelta

if TYPE_CHECKING:
    from ._backend import Backend
    from ._values import Version

_R = ", ".join(f"b.{c}" for c in RECORD_COLUMNS)
_P = ", ".join(f"p.{c}" for c in PERSON_COLUMNS)
#: Rows valid at the lower version only, and at the higher one only.
_ONLY_LOW = "{t}.registry = :reg AND {t}.valid_from <= :lo AND {t}.valid_to > :lo AND {t}.valid_to <= :hi"
_ONLY_HIGH = (
    "{t}.registry = :reg AND {t}.valid_from > :lo AND {t}.valid_from <= :hi "
    "AND ({t}.valid_to IS NULL OR {t}.valid_to > :hi)"
)
_VALID = "{t}.registry = :reg AND {t}.valid_from <= :v AND ({t}.valid_to IS NULL OR {t}.valid_to > :v)"


def delta(db: Backend, old: Version, new: Version, registry: str) -> Delta:
    """What differs from ``old`` to ``new`` (either may be the later one), two versions of
    ``registry``; see the module doc."""
    low, high = sorted((old.number, new.number))
    params = {"lo": low, "hi": high, "reg": registry}
    decoder = Decoder()
    heads = dict(db.rows("SELECT number, head FROM versions WHERE number IN (:lo, :hi)", params))

    select = (
        f"SELECT r.record_id, r.sort_key, r.content_hash, {_R} FROM record_revisions r "
        "JOIN record_bodies b ON b.row_id = r.row_id WHERE "
    )
    at_low = {row[0]: row for row in db.rows(select + _ONLY_LOW.format(t="r"), params)}
    at_high = {row[0]: row for row in db.rows(select + _ONLY_HIGH.format(t="r"), params)}
    before, after = (at_low, at_high) if old.number <= new.number else (at_high, at_low)
    records = _pairs(before, after, lambda row: decoder.record(row[3:]))
    record_anchors = _anchors(db, "record_revisions", "record_id", params | {"v": new.number}, before, after)

    select = f"SELECT p.person_id, p.sort_key, p.content_hash, {_P} FROM person_revisions p WHERE "
    at_low = {row[0]: row for row in db.rows(select + _ONLY_LOW.format(t="p"), params)}
    at_high = {row[0]: row for row in db.rows(select + _ONLY_HIGH.format(t="p"), params)}
    before, after = (at_low, at_high) if old.number <= new.number else (at_high, at_low)
    people = _pairs(before, after, lambda row: decoder.person(row[3:]))
    person_anchors = _anchors(db, "person_revisions", "person_id", params | {"v": new.number}, before, after)

    empty: tuple[()] = ()
    return Delta(
        old=old,
        new=new,
        old_head=decoder.head(heads[old.number], empty, empty),
        new_head=decoder.head(heads[new.number], empty, empty),
        records=[RecordDelta(key, a, b, key in record_anchors, record_anchors.get(key)) for key, a, b in records],
        people=[PersonDelta(key, a, b, key in person_anchors, person_anchors.get(key)) for key, a, b in people],
    )


def _pairs(before: dict[Any, Any], after: dict[Any, Any], decode: Any) -> list[tuple[Any, Any, Any]]:
    """(key, old value or None, new value or None) for every row that differs, in the
    old order for rows that went away and the new order for the others."""
    pairs = [(key, decode(row), None) for key, row in sorted(before.items(), key=lambda i: i[1][1]) if key not in after]
    for key, row in sorted(after.items(), key=lambda i: i[1][1]):
        old = before.get(key)
        if old is not None and old[2] == row[2] and old[1] == row[1]:
            continue  # a new revision with the same content and place (a person it names was renamed)
        pairs.append((key, None if old is None else decode(old), decode(row)))
    return pairs


def _anchors(
    db: Backend, table: str, column: str, at: dict[str, Any], before: dict[Any, Any], after: dict[Any, Any]
) -> dict[Any, Any]:
    """For each row that is new or changed place: the key of the row before it in the
    version ``at`` names (None when it comes first)."""
    placed = {key for key, row in after.items() if key not in before or before[key][1] != row[1]}
    if not placed:
        return {}
    order = db.rows(f"SELECT t.{column} FROM {table} t WHERE {_VALID.format(t='t')} ORDER BY t.sort_key", at)
    anchors: dict[Any, Any] = {}
    previous = None
    for (key,) in order:
        if key in placed:
            anchors[key] = previous
        previous = key
    return anchors
