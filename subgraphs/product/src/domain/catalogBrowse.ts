import type { CatalogSelection, ProductPage, ProductStore } from '../data/productStore';
import { decodeProductCursor, pageSize, type ProductSort } from './productCursor';
import { parseProductFilter, unknownCategory, type ProductFilterInput } from './productFilter';

export interface BrowseArgs {
  first?: number | null;
  after?: string | null;
  filter?: ProductFilterInput | null;
  sortBy?: ProductSort | null;
}

/**
 * One `products` page. `inStock` is answered by inventory, not SQL: the filter's matching ids
 * go to inventory in ONE call, and the page is then a keyset page over exactly those ids, so
 * cursors and ordering work as without the filter (a product whose stock changes between two
 * pages simply joins or leaves the later ones; nothing already seen repeats).
 */
export async function browseCatalog(
  deps: {
    store: ProductStore;
    /** Units free per id; throws SERVICE_UNAVAILABLE when inventory does not answer. */
    availability: (ids: number[]) => Promise<Map<number, number>>;
  },
  args: BrowseArgs,
): Promise<ProductPage> {
  const size = pageSize(args.first);
  const sort = args.sortBy ?? 'NAME';
  const after = args.after == null ? undefined : decodeProductCursor(args.after, sort);
  const { inStock, ...filter } = parseProductFilter(args.filter);
  if (filter.categoryId !== undefined) {
    const found = await deps.store.findCategories([filter.categoryId]);
    if (!found.has(filter.categoryId)) throw unknownCategory(String(filter.categoryId));
  }
  const selection: CatalogSelection = { filter };
  if (inStock !== undefined) {
    const ids = await deps.store.selectedIds(filter);
    const available = await deps.availability(ids);
    const inStockIds = ids.filter((id) => (available.get(id) ?? 0) > 0);
    selection.ids = inStock ? { in: inStockIds } : { notIn: inStockIds };
  }
  return deps.store.page(selection, sort, size, after);
}
