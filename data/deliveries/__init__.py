"""Partner files in: read (``tables``), parse cells (``parsers``), validate (``checks``,
``validation``), locate findings (``locate``), store (``store``), and the import itself
(``importer``); interventions are a partner table too (``interventions``)."""
