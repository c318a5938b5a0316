"""Pure survey analysis (no Flask, no database): reporting periods, SIPAS indices and their intervals."""
