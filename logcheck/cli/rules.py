import click


@click.command()
def rules():
    """(not yet)"""
