from syncer.cli import cli

cli()
