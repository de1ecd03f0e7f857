import { subgraphCodegen } from '../../scripts/subgraphCodegen';

/** Parents are the Prisma row and a page of rows (`bash scripts/generate.sh` runs this). */
export default subgraphCodegen(__dirname, {
  contextType: '../context#Context',
  mappers: {
    Product: '../data/productStore#ProductRow',
    ProductConnection: '../data/productStore#ProductPage',
    ProductEdge: '../data/productStore#ProductRow',
  },
});
