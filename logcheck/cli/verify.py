import click


@click.command()
def verify():
    """(not yet)"""
