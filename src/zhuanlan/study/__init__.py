"""Study records (who opened, read and confirmed what) and the statistics over them."""
