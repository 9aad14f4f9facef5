"""Convscope's web layer: a thin adapter between the browser and the engine."""
