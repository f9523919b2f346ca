"""A logging filter that masks mainland mobile numbers in every log line.

Defence in depth: the portal's own code never logs names or phone numbers (a test
checks), but a library or a careless message might. Names cannot be recognised
reliably; phone numbers can.
"""

import logging
import re

# 11 digits starting 1[3-9], not part of a longer number (receipts, ids, timestamps).
PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_phones(text: str) -> str:
    return PHONE_RE.sub(r"\1****\2", text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Format the traceback now so it can be masked too (exception
            # messages can carry values, e.g. IntegrityError details).
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        return True
