from custvalue.cli import main

main()
