"""BAG addresses: loading and assigning them to buurten (``load``), or the same inside PostGIS
(``sql``)."""
