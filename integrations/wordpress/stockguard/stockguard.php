<?php
/**
 * Plugin Name:       StockGuard
 * Plugin URI:        https://stockguard.example.com
 * Description:       Honest stock badges for WooCommerce: "only 3 left", "back around 3 Dec", notify me when back in stock. Shows what your StockGuard server knows.
 * Version:           0.1.0
 * Requires at least: 6.3
 * Requires PHP:      7.4
 * Requires Plugins:  woocommerce
 * Author:            StockGuard
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       stockguard
 * WC requires at least: 8.0
 *
 * The plugin only prints empty placeholders (their height reserved, so nothing moves when the
 * badges arrive) and loads the badge script from the StockGuard server; the script asks the
 * server for availability. Contract: docs/storefront.md in the StockGuard repository.
 *
 * @package StockGuard
 */

defined( 'ABSPATH' ) || exit;

const STOCKGUARD_OPTION = 'stockguard_server_url';

/**
 * The StockGuard server's address without a trailing slash ('' until the merchant sets it).
 */
function stockguard_server_url() {
	return untrailingslashit( (string) get_option( STOCKGUARD_OPTION, '' ) );
}

/**
 * How StockGuard knows this store: its address without the scheme (example.com/shop).
 */
function stockguard_shop() {
	return untrailingslashit( preg_replace( '#^https?://#i', '', home_url() ) );
}

/**
 * Keep only an http(s) URL, without a trailing slash.
 *
 * @param mixed $value What the settings form sent.
 */
function stockguard_sanitize_server_url( $value ) {
	$url = esc_url_raw( trim( (string) $value ), array( 'https', 'http' ) );
	return untrailingslashit( $url );
}

// ------------------------------------------------------------------ settings page

add_action(
	'admin_init',
	function () {
		register_setting(
			'stockguard',
			STOCKGUARD_OPTION,
			array(
				'type'              => 'string',
				'sanitize_callback' => 'stockguard_sanitize_server_url',
				'default'           => '',
			)
		);
	}
);

// WooCommerce → StockGuard.
add_action(
	'admin_menu',
	function () {
		add_submenu_page(
			'woocommerce',
			'StockGuard',
			'StockGuard',
			'manage_woocommerce',
			'stockguard',
			'stockguard_settings_page'
		);
	},
	60
);

/**
 * The settings page: one field, the StockGuard server URL.
 */
function stockguard_settings_page() {
	if ( ! current_user_can( 'manage_woocommerce' ) ) {
		return;
	}
	?>
	<div class="wrap">
		<h1><?php echo esc_html__( 'StockGuard', 'stockguard' ); ?></h1>
		<form method="post" action="options.php">
			<?php settings_fields( 'stockguard' ); ?>
			<table class="form-table" role="presentation">
				<tr>
					<th scope="row">
						<label for="stockguard-server-url"><?php echo esc_html__( 'StockGuard server URL', 'stockguard' ); ?></label>
					</th>
					<td>
						<input type="url" class="regular-text" id="stockguard-server-url"
							name="<?php echo esc_attr( STOCKGUARD_OPTION ); ?>"
							value="<?php echo esc_attr( stockguard_server_url() ); ?>"
							placeholder="https://stockguard.example.com">
						<p class="description">
							<?php
							/* translators: %s: this store's address as StockGuard knows it */
							echo esc_html( sprintf( __( 'This store is known to StockGuard as %s. Leave the address empty to turn the badges off.', 'stockguard' ), stockguard_shop() ) );
							?>
						</p>
					</td>
				</tr>
			</table>
			<?php submit_button(); ?>
		</form>
		<?php if ( '' !== stockguard_server_url() ) : ?>
			<h2><?php echo esc_html__( 'StockGuard panel', 'stockguard' ); ?></h2>
			<?php if ( null !== stockguard_webhook_secret() ) : ?>
				<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" target="_blank">
					<input type="hidden" name="action" value="stockguard_open">
					<?php wp_nonce_field( 'stockguard_open' ); ?>
					<?php submit_button( __( 'Open StockGuard', 'stockguard' ), 'primary', 'submit', false ); ?>
				</form>
			<?php else : ?>
				<p>
					<a class="button button-primary" href="<?php echo esc_url( stockguard_server_url() . '/auth/woocommerce/install?store_url=' . rawurlencode( untrailingslashit( home_url() ) ) ); ?>">
						<?php echo esc_html__( 'Connect this store to StockGuard', 'stockguard' ); ?>
					</a>
				</p>
			<?php endif; ?>
		<?php endif; ?>
	</div>
	<?php
}

// ------------------------------------------------------------------ opening StockGuard

/**
 * The secret of StockGuard's webhooks on this store: StockGuard generated it and set it on the
 * webhooks it registered (delivered to {server}/webhooks/woocommerce/…). WooCommerce's REST API
 * never returns a webhook's secret, so only this store and StockGuard know it.
 *
 * @return string|null The secret, or null when StockGuard is not connected to this store.
 */
function stockguard_webhook_secret() {
	$server = stockguard_server_url();
	if ( '' === $server || ! class_exists( 'WC_Data_Store' ) ) {
		return null;
	}
	$prefix = $server . '/webhooks/woocommerce/';
	$ids    = WC_Data_Store::load( 'webhook' )->search_webhooks( array( 'limit' => -1 ) );
	foreach ( $ids as $id ) {
		$webhook = wc_get_webhook( $id );
		if ( $webhook && 0 === strpos( $webhook->get_delivery_url(), $prefix ) && '' !== $webhook->get_secret() ) {
			return $webhook->get_secret();
		}
	}
	return null;
}

/**
 * A launch request StockGuard accepts once, for five minutes: this store, the user, the time
 * and a nonce, signed with HMAC-SHA256 keyed by StockGuard's webhook secret on this store
 * (StockGuard: connectors/woocommerce/launch.py signed_text builds the same lines).
 *
 * @param string $server  The StockGuard server's address.
 * @param string $secret  stockguard_webhook_secret().
 * @param int    $user_id The WordPress user opening StockGuard.
 */
function stockguard_launch_url( $server, $secret, $user_id ) {
	$store  = untrailingslashit( home_url() );
	$time   = time();
	$nonce  = wp_generate_password( 32, false );
	$signed = implode( "\n", array( 'stockguard-launch-v2', $store, (string) $user_id, (string) $time, $nonce ) );
	$query  = array(
		'store'     => $store,
		'user_id'   => $user_id,
		'ts'        => $time,
		'nonce'     => $nonce,
		'signature' => hash_hmac( 'sha256', $signed, $secret ),
	);
	return $server . '/auth/woocommerce/launch?' . http_build_query( $query, '', '&', PHP_QUERY_RFC3986 );
}

// The "Open StockGuard" button posts here: only a user who can manage WooCommerce, with the
// form's nonce, is sent to StockGuard with a signed launch request.
add_action(
	'admin_post_stockguard_open',
	function () {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'You are not allowed to open StockGuard for this store.', 'stockguard' ), 403 );
		}
		check_admin_referer( 'stockguard_open' );
		$server = stockguard_server_url();
		$secret = stockguard_webhook_secret();
		if ( '' === $server || null === $secret ) {
			wp_die( esc_html__( 'Connect this store to StockGuard first (set the server URL, then connect).', 'stockguard' ), 400 );
		}
		// The server is the merchant's own StockGuard, set on this page: not a safe-redirect host.
		wp_redirect( stockguard_launch_url( $server, $secret, get_current_user_id() ) ); // phpcs:ignore WordPress.Security.SafeRedirect.wp_redirect_wp_redirect
		exit;
	}
);

// ------------------------------------------------------------------ the badge script

/**
 * Queue the badge script (printed in the footer, async) once a placeholder was printed.
 */
function stockguard_enqueue() {
	$server = stockguard_server_url();
	if ( '' === $server || wp_script_is( 'stockguard', 'enqueued' ) ) {
		return;
	}
	wp_enqueue_script(
		'stockguard',
		$server . '/static/stockguard.js',
		array(),
		null, // The server sets its own cache headers; no ?ver= query.
		array(
			'in_footer' => true,
			'strategy'  => 'async',
		)
	);
}

// The script finds the store and the API from its own data attributes.
add_filter(
	'script_loader_tag',
	function ( $tag, $handle ) {
		if ( 'stockguard' !== $handle ) {
			return $tag;
		}
		$attributes = sprintf(
			' data-shop="%s" data-api="%s"',
			esc_attr( stockguard_shop() ),
			esc_attr( stockguard_server_url() . '/storefront/v1' )
		);
		if ( false === strpos( $tag, ' async' ) ) {
			$attributes .= ' async';
		}
		return str_replace( '<script ', '<script' . $attributes . ' ', $tag );
	},
	10,
	2
);

// ------------------------------------------------------------------ placeholders

/**
 * Print one placeholder reserving `$lines` lines (1.6em each) for the script to fill.
 *
 * @param int      $product Product id.
 * @param int|null $variant Variation id (or a simple product's own id); null on cards.
 * @param int      $lines   Lines reserved: 1 (badge) or 3 (badge, notify me, alternatives).
 */
function stockguard_placeholder( $product, $variant, $lines ) {
	if ( '' === stockguard_server_url() ) {
		return;
	}
	stockguard_enqueue();
	$attributes = array( 'data-sg-product' => $product );
	if ( null !== $variant ) {
		$attributes['data-sg-variant'] = $variant;
	}
	$attributes['data-sg-lines'] = $lines;
	$attributes['style']         = 'min-height:' . ( 3 === $lines ? '4.8em' : '1.6em' );
	echo '<div class="stockguard"';
	foreach ( $attributes as $name => $value ) {
		echo ' ' . esc_attr( $name ) . '="' . esc_attr( $value ) . '"';
	}
	echo '></div>';
}

/**
 * The variation a product page opens on: the default attributes' match, else the first one.
 *
 * @param WC_Product $product The page's product.
 */
function stockguard_selected_variation( $product ) {
	if ( ! $product->is_type( 'variable' ) ) {
		return $product;
	}
	$data_store = WC_Data_Store::load( 'product' );
	$defaults   = array();
	foreach ( $product->get_default_attributes() as $name => $value ) {
		$defaults[ 'attribute_' . sanitize_title( $name ) ] = $value;
	}
	$variation_id = $defaults ? $data_store->find_matching_product_variation( $product, $defaults ) : 0;
	if ( ! $variation_id ) {
		$children     = $product->get_children();
		$variation_id = $children ? (int) $children[0] : 0;
	}
	$variation = $variation_id ? wc_get_product( $variation_id ) : null;
	return $variation ? $variation : $product;
}

// Product page, after the price and excerpt: 3 lines when the shown item can't ship from
// stock now (sold out or on backorder: notify me and alternatives may follow), else 1.
add_action(
	'woocommerce_single_product_summary',
	function () {
		global $product;
		if ( ! $product instanceof WC_Product ) {
			return;
		}
		$shown    = stockguard_selected_variation( $product );
		$in_stock = 'instock' === $shown->get_stock_status();
		stockguard_placeholder( $product->get_id(), $shown->get_id(), $in_stock ? 1 : 3 );
	},
	25
);

// Product cards in shop and category pages: the badge line only.
add_action(
	'woocommerce_after_shop_loop_item_title',
	function () {
		global $product;
		if ( $product instanceof WC_Product ) {
			stockguard_placeholder( $product->get_id(), null, 1 );
		}
	},
	15
);
