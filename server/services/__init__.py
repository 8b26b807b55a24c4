"""Business rules and transactions. Routes call these; these never see HTTP."""
