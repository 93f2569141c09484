"""Who may see what: users and roles, the audit log, and the analyst's address findings."""
