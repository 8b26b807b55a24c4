"""The API contract: pydantic models shared by the server and the console.

Pure pydantic (plus two pure helpers of the contract: license-key format and offline
lease verification), so that the console can import it without FastAPI or SQLAlchemy.
Each submodule declares __all__; everything is re-exported here.
"""

from server.schemas.common import *  # noqa: F401,F403
from server.schemas.identity import *  # noqa: F401,F403
from server.schemas.licensing import *  # noqa: F401,F403
from server.schemas.admin import *  # noqa: F401,F403
from server.schemas.releases import *  # noqa: F401,F403
from server.schemas.workspace import *  # noqa: F401,F403
