"""appaudit's own DEX reading: tables, a linear invoke index, and per-method decoding."""
