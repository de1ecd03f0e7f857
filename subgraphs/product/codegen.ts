import { subgraphCodegen } from '../../scripts/subgraphCodegen';

/** Parents are the Prisma rows, a page of rows and an edge (row + the page's sort) (`bash scripts/generate.sh` runs this). */
export default subgraphCodegen(__dirname, {
  contextType: '../context#Context',
  mappers: {
    Product: '../data/productStore#ProductRow',
    ProductConnection: '../data/productStore#ProductPage',
    ProductEdge: '../data/productStore#ProductEdgeParent',
    Category: '../data/productStore#CategoryRow',
  },
});
