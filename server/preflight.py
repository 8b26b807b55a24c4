"""Before serving or running a command: can the database be reached? One sentence with the
fix when it cannot, instead of the driver's traceback (hundreds of lines) at start-up."""

from __future__ import annotations

from sqlalchemy.engine import make_url


async def database_problem(database_url: str) -> str | None:
    """None when a connection opens; otherwise what is wrong and what to do, in words."""
    if not database_url.startswith("postgresql"):
        return None  # SQLite: the file is made on start; its own errors are clear enough
    import asyncpg

    url = make_url(database_url)
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    try:
        connection = await asyncpg.connect(host=url.host, port=url.port, user=url.username,
                                           password=url.password, database=url.database, timeout=10)
    except asyncpg.InvalidCatalogNameError:
        return (f'PostgreSQL at {where} has no database "{url.database}": create it first '
                f"(createdb -h {url.host or 'localhost'} -p {url.port or 5432} -U {url.username or 'postgres'} "
                f"{url.database}), then start again.")
    except asyncpg.InvalidAuthorizationSpecificationError:
        return f'PostgreSQL at {where} refused the user "{url.username}": check the user and password in --database-url.'
    except asyncpg.InvalidPasswordError:
        return f'PostgreSQL at {where} refused the password of "{url.username}": check --database-url.'
    except (OSError, TimeoutError):
        return f"Nothing answers as PostgreSQL at {where}: is the server running, and is the address right?"
    except asyncpg.PostgresError as error:
        return f"PostgreSQL at {where} refused the connection ({type(error).__name__}): check --database-url."
    await connection.close()
    return None
