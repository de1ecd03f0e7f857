/**
 * A remark lint plugin (run by `npm run lint` through remark-cli, beside remark-validate-links,
 * which checks that relative links and their heading anchors resolve): a clone must have
 * everything its Markdown links to. No maintained rule forbids links that leave the repository
 * (remark-validate-links deliberately skips external URLs, and `../` paths that happen to exist
 * next to a checkout pass it), so this small rule does:
 * - in every Markdown file, a relative link must stay inside the repository root;
 * - in README.md and docs/ (what a new user follows), no absolute URL (`https:`, `mailto:`…).
 *   Addresses a person types, such as http://localhost:4000/graphql in code spans, are not links.
 */
import path from 'node:path';

const root = process.cwd();
const schemeLink = /^[a-z][a-z0-9+.-]*:/i;

function visit(node, fn) {
  fn(node);
  for (const child of node.children ?? []) visit(child, fn);
}

export default function remarkLinksStayInside() {
  return (tree, file) => {
    const filePath = path.resolve(file.cwd, file.path);
    const relative = path.relative(root, filePath);
    const userFacing = relative === 'README.md' || relative.startsWith(`docs${path.sep}`);
    visit(tree, (node) => {
      if (!['link', 'image', 'definition'].includes(node.type) || typeof node.url !== 'string') {
        return;
      }
      const url = node.url;
      if (schemeLink.test(url)) {
        if (userFacing) {
          file.message(
            `external link \`${url}\`: README.md and docs/ link only inside the repository`,
            node,
          );
        }
        return;
      }
      if (url.startsWith('#')) return;
      const target = path.resolve(path.dirname(filePath), decodeURI(url.split('#')[0]));
      if (path.relative(root, target).startsWith('..') || url.startsWith('/')) {
        file.message(`link \`${url}\` leaves the repository; a clone would not have it`, node);
      }
    });
  };
}
