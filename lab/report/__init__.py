"""Reports of scenario runs: report.json, the terminal verdict matrix, the results folder."""
