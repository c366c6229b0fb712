"""Measurement and lab tools for bridge (eval, bench, sweep, corpus): imports bridge, never imported by it."""
