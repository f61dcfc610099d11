from core.request_meta import *  # noqa: F401,F403  -- moved to core; removed once every import follows
