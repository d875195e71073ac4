"""From findings to decisions: cases followed until verified, high-incidence areas,
warnings and the weekly report. Numbers come from the store only."""
