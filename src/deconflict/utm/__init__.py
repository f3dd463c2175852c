"""The line as a DSS of ASTM F3548-21 (UTM strategic coordination): USSs share 4D
operational intents, constraints and subscriptions, and the line's own engine decides
which of them meet."""
