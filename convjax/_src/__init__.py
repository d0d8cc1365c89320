"""Private implementation of convjax. Import from the public modules instead."""
