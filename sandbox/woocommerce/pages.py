"""HTML pages of ``/wc-auth/v1``, as WooCommerce 10.0.2 / WordPress 6.8.3 render them.

Taken from the captured pages; ``@@TOKENS@@`` are filled per request.
"""

# The <head>, logo and opening content <div> shared by the login and grant-access templates.
AUTH_HEADER = "\n<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n\t<meta name=\"viewport\" content=\"width=device-width\" />\n\t<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\" />\n\t<meta name=\"robots\" content=\"noindex, nofollow\" />\n\t<title>Application authentication request</title>\n\t<link rel='stylesheet' id='dashicons-css' href='@@HOME@@/wp-includes/css/dashicons.min.css?ver=6.8.3' media='all' />\n<link rel='stylesheet' id='buttons-css' href='@@HOME@@/wp-includes/css/buttons.min.css?ver=6.8.3' media='all' />\n<link rel='stylesheet' id='forms-css' href='@@HOME@@/wp-admin/css/forms.min.css?ver=6.8.3' media='all' />\n<link rel='stylesheet' id='l10n-css' href='@@HOME@@/wp-admin/css/l10n.min.css?ver=6.8.3' media='all' />\n<link rel='stylesheet' id='install-css' href='@@HOME@@/wp-admin/css/install.min.css?ver=6.8.3' media='all' />\n\t<link rel=\"stylesheet\" href=\"@@HOME_NOSCHEME@@/wp-content/plugins/woocommerce/assets/css/auth.css\" type=\"text/css\" />\n</head>\n<body class=\"wc-auth wp-core-ui\">\n<h1 id=\"wc-logo\">\n\t<img src=\"@@HOME@@/wp-content/plugins/woocommerce/assets/images/woo-logo.svg\" alt=\"\n\t\t\t\t\t\tWooCommerce\t\t\" /></h1>\n\t"

# auth/form-grant-access.php
GRANT_ACCESS = (
    AUTH_HEADER
    + """<div class="wc-auth-content">

<h1>
\t@@APP_NAME@@ would like to connect to your store</h1>


<p>
\tThis will give &quot;<strong>@@APP_NAME@@</strong>&quot; <strong>@@SCOPE@@</strong> access which will allow it to:</p>

<ul class="wc-auth-permissions">
@@PERMISSIONS@@\t</ul>

<p>
\tApproving will share credentials with <strong>@@CALLBACK_HOST@@</strong>. Do not proceed if this looks suspicious in any way.</p>

<div class="wc-auth-logged-in-as">
\t<img alt='' src='https://secure.gravatar.com/avatar/258d8dc916db8cea2cafb6c3cd0cb0246efe061421dbd83ec3a350428cabda4f?s=70&#038;d=mm&#038;r=g' srcset='https://secure.gravatar.com/avatar/258d8dc916db8cea2cafb6c3cd0cb0246efe061421dbd83ec3a350428cabda4f?s=140&#038;d=mm&#038;r=g 2x' class='avatar avatar-70 photo' height='70' width='70' loading='lazy' decoding='async'/>\t<p>
\t\tLogged in as admin\t\t<a href="@@LOGOUT_URL@@" class="wc-auth-logout">Logout</a>
\t</p>
</div>

<p class="wc-auth-actions">
\t<a href="@@GRANTED_URL@@" class="button button-primary wc-auth-approve">Approve</a>
\t<a href="@@DENY_URL@@" class="button wc-auth-deny">Deny</a>
</p>

\t\t</div>
\t</body>
</html>
"""
)

PERMISSION_ITEM = "\t\t\t<li>@@PERMISSION@@</li>\n"

# wp_die() page (default handler): title "Access denied", status 401.
WP_DIE = (
    '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n\t<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />\n\t<meta name="viewport" content="width=device-width, initial-scale=1.0">\n\t\t<meta name=\'robots\' content=\'max-image-preview:large, noindex, follow\' />\n\t<title>Access denied</title>\n\t<style type="text/css">\n\t\thtml {\n\t\t\tbackground: #f1f1f1;\n\t\t}\n\t\tbody {\n\t\t\tbackground: #fff;\n\t\t\tborder: 1px solid #ccd0d4;\n\t\t\tcolor: #444;\n\t\t\tfont-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Oxygen-Sans, Ubuntu, Cantarell, "Helvetica Neue", sans-serif;\n\t\t\tmargin: 2em auto;\n\t\t\tpadding: 1em 2em;\n\t\t\tmax-width: 700px;\n\t\t\t-webkit-box-shadow: 0 1px 1px rgba(0, 0, 0, .04);\n\t\t\tbox-shadow: 0 1px 1px rgba(0, 0, 0, .04);\n\t\t}\n\t\th1 {\n\t\t\tborder-bottom: 1px solid #dadada;\n\t\t\tclear: both;\n\t\t\tcolor: #666;\n\t\t\tfont-size: 24px;\n\t\t\tmargin: 30px 0 0 0;\n\t\t\tpadding: 0;\n\t\t\tpadding-bottom: 7px;\n\t\t}\n\t\t#error-page {\n\t\t\tmargin-top: 50px;\n\t\t}\n\t\t#error-page p,\n\t\t#error-page .wp-die-message {\n\t\t\tfont-size: 14px;\n\t\t\tline-height: 1.5;\n\t\t\tmargin: 25px 0 20px;\n\t\t}\n\t\t#error-page code {\n\t\t\tfont-family: Consolas, Monaco, monospace;\n\t\t}\n\t\tul li {\n\t\t\tmargin-bottom: 10px;\n\t\t\tfont-size: 14px ;\n\t\t}\n\t\ta {\n\t\t\tcolor: #2271b1;\n\t\t}\n\t\ta:hover,\n\t\ta:active {\n\t\t\tcolor: #135e96;\n\t\t}\n\t\ta:focus {\n\t\t\tcolor: #043959;\n\t\t\tbox-shadow: 0 0 0 2px #2271b1;\n\t\t\toutline: 2px solid transparent;\n\t\t}\n\t\t.button {\n\t\t\tbackground: #f3f5f6;\n\t\t\tborder: 1px solid #016087;\n\t\t\tcolor: #016087;\n\t\t\tdisplay: inline-block;\n\t\t\ttext-decoration: none;\n\t\t\tfont-size: 13px;\n\t\t\tline-height: 2;\n\t\t\theight: 28px;\n\t\t\tmargin: 0;\n\t\t\tpadding: 0 10px 1px;\n\t\t\tcursor: pointer;\n\t\t\t-webkit-border-radius: 3px;\n\t\t\t-webkit-appearance: none;\n\t\t\tborder-radius: 3px;\n\t\t\twhite-space: nowrap;\n\t\t\t-webkit-box-sizing: border-box;\n\t\t\t-moz-box-sizing:    border-box;\n\t\t\tbox-sizing:         border-box;\n\n\t\t\tvertical-align: top;\n\t\t}\n\n\t\t.button.button-large {\n\t\t\tline-height: 2.30769231;\n\t\t\tmin-height: 32px;\n\t\t\tpadding: 0 12px;\n\t\t}\n\n\t\t.button:hover,\n\t\t.button:focus {\n\t\t\tbackground: #f1f1f1;\n\t\t}\n\n\t\t.button:focus {\n\t\t\tbackground: #f3f5f6;\n\t\t\tborder-color: #007cba;\n\t\t\t-webkit-box-shadow: 0 0 0 1px #007cba;\n\t\t\tbox-shadow: 0 0 0 1px #007cba;\n\t\t\tcolor: #016087;\n\t\t\toutline: 2px solid transparent;\n\t\t\toutline-offset: 0;\n\t\t}\n\n\t\t.button:active {\n\t\t\tbackground: #f3f5f6;\n\t\t\tborder-color: #7e8993;\n\t\t\t-webkit-box-shadow: none;\n\t\t\tbox-shadow: none;\n\t\t}\n\n\t\t\t</style>\n</head>\n'
    + '<body id="error-page">\n\t<div class="wp-die-message">@@MESSAGE@@</div></body>\n</html>\n\t'
)
