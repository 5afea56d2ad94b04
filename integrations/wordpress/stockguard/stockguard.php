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
	</div>
	<?php
}

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
