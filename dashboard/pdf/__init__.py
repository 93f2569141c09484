"""Building blocks of the PDF reports (reportlab): styles, vector map, trend chart, tables.

The reports themselves are ``dashboard.briefing`` (one wijk, one page) and
``dashboard.regional_report`` (an RPF region). Every number shown comes from
``indicators.publish.published_table`` and is formatted with ``indicators.disclosure.format_cell``.
"""
