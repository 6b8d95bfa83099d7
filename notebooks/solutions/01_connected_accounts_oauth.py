# Exercise 01: Daniel goes through Express OAuth again, and agrees this time.
outcome = onboarding.complete_oauth(lab, platform, "ho_002")
print(outcome)
answer = onboarding.saved_account(platform, "ho_002")
