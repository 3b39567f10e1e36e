"""Marketing: course quality scores, keyword ideas, price position, best-practice guides."""
