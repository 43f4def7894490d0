import click


@click.command()
def timeline():
    """(not yet)"""
