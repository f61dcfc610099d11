from core.errors import *  # noqa: F401,F403  -- moved to core; removed once every import follows
