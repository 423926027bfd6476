"""Security incidents: the 60-minute report to the city and the 個人情報保護委員会 deadlines."""
