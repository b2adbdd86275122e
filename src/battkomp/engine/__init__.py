"""The model: a pure function of an input bundle, a scenario and a seed. Never imports Django."""
