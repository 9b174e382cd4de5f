"""The staff portal: school staff read handed-over conversations and answer them (FastAPI + Jinja2)."""
