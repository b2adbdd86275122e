"""The infrastructure register (commandment 8): part of the measures app, served at
/infrastructure/."""
