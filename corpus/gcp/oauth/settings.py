# OAuth app for the internal dashboard
GOOGLE_OAUTH_CLIENT_ID = "777822845790-79cg07r3achmf0zgmcaa26jyoczv18ez.apps.googleusercontent.com"
GOOGLE_OAUTH_CLIENT_SECRET = "y-1bOOKj_II93Aw5x5rW6elJ"

# gcloud's own installed-app client: public by design
GCLOUD_CLIENT_ID = "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com"
GCLOUD_CLIENT_SECRET = "d-FL95Q19q7MQmFpd7hHD0Ty"

SESSION_SALT = "rRKudpBT1slrRqlaSBaegNNu"  # not near any client id
