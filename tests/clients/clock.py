"""Set botocore's signing clock, so a test can sign as if at another time."""
import datetime
import sys

import botocore.auth

try:
    import botocore.crt.auth as crt_auth
except ImportError:
    crt_auth = None


def sign_at(epoch_seconds: int) -> None:
    """Make botocore's signers read a fixed clock (Unix seconds)."""
    if not hasattr(botocore.auth, "get_current_datetime"):
        sys.exit("this botocore reads its clock elsewhere; signed_at needs botocore >= 1.34.x with get_current_datetime")
    fixed = datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.timezone.utc)

    def now(remove_tzinfo=True):
        return fixed.replace(tzinfo=None) if remove_tzinfo else fixed

    botocore.auth.get_current_datetime = now
    # With awscrt installed botocore signs through its CRT signers, which took their own
    # reference to the clock.
    if crt_auth is not None:
        crt_auth.get_current_datetime = now
