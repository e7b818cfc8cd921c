"""The service layer: the only road from the interfaces (CLI, web pages, JSON API) to the data.

Every interface parses its input, calls one service, and renders the answer; none reads
the store itself. Modules, one concept each:

- :mod:`.query`: lookups by port, range and name, search, people, free ports, stats,
  and the in-memory ``LookupIndex`` per version;
- :mod:`.params`: strict parsing of ports, ranges, pages, versions, ids and dates for every
  interface;
- :mod:`.sync`: download IANA's registry with a conditional request and import it when
  it changed.

Services added later sit beside these: ``workflow`` (the RFC 6335 assignment process),
``history`` (diffs, feeds, the transparency log), local registries stacked on upstream.
"""
