from adapters.cli import app

app(prog_name="deskmate")
