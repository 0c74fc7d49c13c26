// the sign-in page's script (app/static/oidc-signin.js)
