"""The load run's parts: seeding, the servers under load, the simulated users, the report."""
